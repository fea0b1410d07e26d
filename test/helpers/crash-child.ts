/**
 * A process that installs the daemon's crash recording and then dies while feeding a source, as a
 * device whose input escapes every guard would make it: `crash-child.ts <dataDir> <source>`.
 */
import { feeding, writeCrashRecord } from '../../src/core/crash-guard.ts';

const [dataDir, source] = process.argv.slice(2) as [string, string];
process.on('uncaughtException', (err) => {
  writeCrashRecord(dataDir, err);
  process.exit(4);
});
feeding('gps', 'gps', () => {}); // fed fine: not named
setTimeout(() => {
  feeding('capture', source, () => {
    throw new RangeError('Invalid time value');
  });
}, 10);
