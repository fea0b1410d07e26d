import type { MqttClient } from 'mqtt';
import { describe, expect, it } from 'vitest';
import { SharedSession } from '../../src/core/broker-session.ts';

/** Enough of an mqtt.js client for the session's bookkeeping. */
const client = (connected = true) => ({ connected }) as unknown as MqttClient;

describe('the shared broker session', () => {
  it('tells every subscriber of each connect and message, and one that comes late of the live one', () => {
    const s = new SharedSession();
    const a = s.handle();
    const seen: string[] = [];
    a.onConnect(() => seen.push('a:connect'));
    a.onMessage((t) => seen.push(`a:${t}`));
    const c1 = client();
    s.attach(c1);
    s.dispatch('x/1', Buffer.from('1'));
    const b = s.handle();
    b.onConnect((c) => seen.push(c === c1 ? 'b:connect live' : 'b:connect other'));
    expect(seen).toEqual(['a:connect', 'a:x/1', 'b:connect live']);
    expect(a.current()).toBe(c1);
    s.detach();
    expect(b.current()).toBeNull();
    // A client that is no longer connected is not handed out either.
    s.attach(client(false));
    expect(a.current()).toBeNull();
  });

  it("a subscriber's close removes its own listeners only", async () => {
    const s = new SharedSession();
    const a = s.handle();
    const b = s.handle();
    const got: string[] = [];
    a.onMessage((t) => got.push(`a:${t}`));
    b.onMessage((t) => got.push(`b:${t}`));
    await a.close();
    s.dispatch('x/2', Buffer.alloc(0));
    expect(got).toEqual(['b:x/2']);
  });

  it('asks for room for the largest packet any subscriber takes', () => {
    const s = new SharedSession();
    expect(s.packetBytes).toBe(0);
    s.handle().allowPackets(2 * 1024 * 1024);
    s.handle().allowPackets(64 * 1024);
    expect(s.packetBytes).toBe(2 * 1024 * 1024);
  });
});
