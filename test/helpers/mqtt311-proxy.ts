/**
 * A stand-in for a broker that speaks only MQTT 3.1.1: a loopback TCP proxy in front of a real
 * mosquitto that answers an MQTT 5 CONNECT with the 3.1.1 refusal (CONNACK, return code 1,
 * unacceptable protocol version) and passes every 3.1.1 connection through.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Proxy {
  url: string;
  /** CONNECTs seen, by protocol level (4 = 3.1.1, 5 = MQTT 5). */
  levels: number[];
  close(): Promise<void>;
}

/** The protocol level of a CONNECT packet at the start of `b`, or null when `b` is too short. */
function connectLevel(b: Buffer): number | null {
  let i = 1;
  while (i < b.length && i < 5 && (b[i]! & 0x80) !== 0) i++;
  // Variable header: 2-byte name length, the name ("MQTT"), then the level.
  const at = i + 1 + 2 + 4;
  return b.length > at ? b[at]! : null;
}

export async function startMqtt311Proxy(targetPort: number): Promise<Proxy> {
  const levels: number[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      const level = connectLevel(head);
      if (level === null) return;
      client.off('data', onData);
      levels.push(level);
      if (level !== 4) {
        client.end(Buffer.from([0x20, 0x02, 0x00, 0x01]));
        return;
      }
      const up = connect(targetPort, '127.0.0.1');
      sockets.add(up);
      up.on('close', () => sockets.delete(up));
      up.on('error', () => client.destroy());
      client.on('error', () => up.destroy());
      up.write(head);
      client.pipe(up);
      up.pipe(client);
    };
    client.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    levels,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
