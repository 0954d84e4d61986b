import { csvCell, csvLine } from '../src/api/csv';

describe('CSV cells', () => {
  it('writes plain values as they are, and nothing for null', () => {
    expect(csvLine(['trd_1', 'BTC/USDT:USDT', 0.5, -12.25, true, null, undefined])).toBe('trd_1,BTC/USDT:USDT,0.5,-12.25,true,,\r\n');
  });

  it('quotes commas, quotes and line breaks (RFC 4180), doubling quotes', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rlf')).toBe('"cr\rlf"');
  });

  it.each([
    ['=HYPERLINK("http://x")', `"'=HYPERLINK(""http://x"")"`],
    ['+1+2', "'+1+2"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
  ])('defuses a formula %p', (input, output) => {
    expect(csvCell(input)).toBe(output);
  });

  it('leaves numbers alone, negative ones too, and writes no NaN', () => {
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(Number.NaN)).toBe('');
  });
});
