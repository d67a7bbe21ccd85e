import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

/**
 * `npm run bench:profile -- <file.cpuprofile> [--top N]`: where a V8 CPU profile (as written
 * by `npm run bench -- --cpu-prof`) spent its time. Self time only, grouped two ways: by
 * package or area of the application (`node_modules/<package>`, `app:<folder of dist/src>`,
 * `node:<module>`, V8's own entries such as `(garbage collector)`), and by function. Idle time
 * is left out of the shares: they are shares of the time the process was busy.
 */

/** The subset of the `.cpuprofile` format (Chrome DevTools protocol, Profiler.Profile) used here. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame }>;
  samples: number[];
  /** Microseconds since the previous sample, one per sample. */
  timeDeltas: number[];
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

/** `node_modules/@scope/name`, `dist/src/<folder>/…`, `node:…`, V8's own entries, or native code. */
function areaOf({ url, functionName }: CallFrame): string {
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1];
  const application = /\/dist\/(?:src\/)?([^/]+)\//.exec(url);
  if (application) return `app:${application[1]}`;
  if (url.includes('/dist/')) return 'app';
  if (url) return url;
  // V8 names its own entries in parentheses: (garbage collector), (program).
  return functionName.startsWith('(') ? functionName : '(native)';
}

function functionOf(frame: CallFrame): string {
  const file = frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/');
  return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
}

/** Microseconds of self time per sampled node id. */
function selfTimes(profile: CpuProfile): Map<number, number> {
  const times = new Map<number, number>();
  profile.samples.forEach((nodeId, index) => {
    times.set(nodeId, (times.get(nodeId) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  return times;
}

function addTo(totals: Map<string, number>, key: string, micros: number): void {
  totals.set(key, (totals.get(key) ?? 0) + micros);
}

function printTop(title: string, totals: Map<string, number>, all: number, top: number): void {
  process.stdout.write(`\n${title}\n`);
  for (const [key, micros] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    const share = ((100 * micros) / all).toFixed(1).padStart(5);
    process.stdout.write(`${share} %  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${key}\n`);
  }
}

function main(): void {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string' } } });
  if (positionals.length !== 1)
    throw new Error('usage: npm run bench:profile -- <file.cpuprofile> [--top N]');
  const top = Number(values.top ?? 30);
  const profile = JSON.parse(readFileSync(positionals[0], 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));

  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let all = 0;
  let idle = 0;
  for (const [nodeId, micros] of selfTimes(profile)) {
    const frame = frames.get(nodeId);
    if (!frame) continue;
    if (frame.functionName === '(idle)') {
      idle += micros;
      continue;
    }
    all += micros;
    addTo(byArea, areaOf(frame), micros);
    addTo(byFunction, functionOf(frame), micros);
  }
  const ms = (micros: number): string => (micros / 1000).toFixed(0);
  process.stdout.write(`${positionals[0]}: ${ms(all)} ms busy, ${ms(idle)} ms idle\n`);
  printTop('self time by package or area', byArea, all, top);
  printTop('self time by function', byFunction, all, top);
}

try {
  main();
} catch (error: unknown) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
