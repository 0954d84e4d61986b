/**
 * The PnL chart: cumulative realised PnL (the equity curve from trading) as a line and each
 * day's PnL as bars, with uPlot (canvas, ~20 kB gzipped). Loaded only by the overview page.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Pnl } from './api';

const dayToSeconds = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;

export default function PnlChart({ pnl }: { pnl: Pnl }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const days = pnl.cumulative.map((p) => p.day);
    const dailyByDay = new Map(pnl.daily.map((d) => [d.day, d.realizedPnl]));
    const data: uPlot.AlignedData = [
      days.map(dayToSeconds),
      pnl.cumulative.map((p) => p.realizedPnl),
      days.map((d) => dailyByDay.get(d) ?? 0),
    ];
    const bars = uPlot.paths.bars!({ size: [0.6, 24] });
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: 240,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      // Half a day either side, so the first and last days' bars are drawn whole.
      scales: { x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] } },
      // No live legend: its height changes with the width (the page below it would move);
      // the caption says what the line and the bars are.
      legend: { show: false },
      axes: [{ stroke: '#374151' }, { stroke: '#374151', label: pnl.currency }],
      series: [
        {},
        { label: 'Cumulative', stroke: '#0b5cad', width: 2, value: (_u, v) => (v == null ? '—' : v.toFixed(2)) },
        { label: 'Daily', stroke: '#9a3412', fill: 'rgba(154, 52, 18, 0.35)', paths: bars, points: { show: false }, value: (_u, v) => (v == null ? '—' : v.toFixed(2)) },
      ],
    };
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: 240 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [pnl]);
  return <div ref={box} class="chart" data-points={pnl.cumulative.length} />;
}
