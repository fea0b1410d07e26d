/** A process that talks to systemd the way the daemon does (test/integration/sd-notify.test.ts). */
import { Notifier, notifierEnv } from '../../src/notify/sd-notify.ts';

const n = new Notifier(notifierEnv());
await n.ready('child ready');
n.startWatchdog(() => true);
setTimeout(async () => {
  await n.stopping();
  n.close();
}, 400);
