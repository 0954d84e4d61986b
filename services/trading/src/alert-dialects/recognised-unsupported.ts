/**
 * JSON messages of tools we recognise but whose requests this service cannot carry out.
 * Saying which tool and why helps the user more than "field symbol is required".
 */
import { unsupported } from '../alert';
import { isObj, type Obj } from './command';

export function unsupportedJsonDialect(body: Obj): Error | undefined {
  // RogerThat (Hummingbot bridge): {"topic": "hbot/<instance>/...", ...}
  if (typeof body.topic === 'string' && body.topic.startsWith('hbot/')) {
    if (body.topic.includes('/command_shortcuts')) {
      return unsupported('topic', 'field "topic": Hummingbot command shortcuts are bot commands, not trade signals');
    }
    // Its events carry the strategy's position but no order: which order to place is the bot's script's decision.
    const data = isObj(body.data) ? body.data : {};
    if (data.action === undefined && data.side === undefined) {
      return unsupported('topic', 'field "topic": Hummingbot events carry no order (no "action"); add "action": "buy" or "sell" to trade them');
    }
  }
  // Kiwoom (KRX stocks): {"dmstStexTp": "KRX", "strCd": …}; the side is chosen by the URL path.
  if (body.strCd !== undefined || body.dmstStexTp !== undefined) {
    return unsupported('strCd', 'field "strCd": Kiwoom orders for Korean stocks are not supported (no side in the message, and only OKX is traded)');
  }
  return undefined;
}
