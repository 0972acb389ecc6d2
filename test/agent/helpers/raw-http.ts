import { connect } from 'node:net';

export interface RawExchange {
  /** Bytes to send, in order; `delayMs` between pieces makes a slow client. */
  readonly pieces: readonly (string | Buffer)[];
  readonly delayMs?: number;
  /** Stop sending after this many pieces and wait for the server (a stalled client). */
  readonly stallAfter?: number;
}

/** Status code of the first response line, or 0 when the connection ended without one. */
export function rawExchange(port: number, exchange: RawExchange, timeoutMs = 30_000): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let settled = false;
    const finish = (status: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    const timer = setTimeout(() => finish(0), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      if (match) finish(Number(match[1]));
      else if (received.length > 64) finish(0);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => finish(0));
    socket.on('connect', async () => {
      const pieces =
        exchange.stallAfter === undefined ? exchange.pieces : exchange.pieces.slice(0, exchange.stallAfter);
      for (const piece of pieces) {
        if (settled || socket.destroyed) return;
        socket.write(piece);
        if (exchange.delayMs) await new Promise((r) => setTimeout(r, exchange.delayMs));
      }
    });
  });
}
