'use strict';
/*
 * Preloaded (`node --require`) into every process `npm run bench` starts, so that the compiled
 * service runs unchanged and no bench code enters `src/`. Plain JavaScript: no ts-node inside
 * the measured process. It does two things, both over the IPC channel `fork` opens:
 * - answers `{ type: 'cpu-usage?' }` with the process's own `process.cpuUsage()`;
 * - ends the process when the bench goes away or after MAX_LIFETIME_MS, so none outlives a run.
 */
const MAX_LIFETIME_MS = 240_000;

if (typeof process.send !== 'function') {
  throw new Error('bench/cpu-usage.preload.cjs is for processes started by npm run bench');
}
process.on('message', (message) => {
  if (message && message.type === 'cpu-usage?') {
    process.send({ type: 'cpu-usage', usage: process.cpuUsage() });
  }
});
process.on('disconnect', () => process.exit(1));
setTimeout(() => process.exit(2), MAX_LIFETIME_MS).unref();
process.channel?.unref();
