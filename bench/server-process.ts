import { ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { ControlMessage, isServerMessage } from './bench-protocol';

/** The application under load: `bench-app.ts` in a child process of its own. */

const BOOT_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

let server: ChildProcess | undefined;
let stopping = false;

/**
 * Forks the server and resolves with the port it reports. `onUnexpectedExit` is called if it
 * dies afterwards without `stopServer()`.
 */
export async function startServer(onUnexpectedExit: () => void): Promise<number> {
  const child = fork(path.join(__dirname, 'bench-app.ts'), [], {
    execArgv: ['--require', 'ts-node/register/transpile-only'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  server = child;
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`the server did not start within ${BOOT_TIMEOUT_MS} ms`)),
      BOOT_TIMEOUT_MS,
    );
    const onMessage = (message: unknown): void => {
      if (!isServerMessage(message)) return;
      if (message.type === 'ready') done(() => resolve(message.port));
      else fail(new Error(`the server failed to start: ${message.error}`));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(new Error(`the server exited during startup (code ${code}, signal ${signal})`));
    const done = (settle: () => void): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      settle();
    };
    const fail = (error: Error): void => done(() => reject(error));
    child.on('message', onMessage);
    child.on('exit', onExit);
  }).then((port) => {
    // A server that dies mid-run ends the run at once instead of measuring refused connections.
    child.once('exit', (code, signal) => {
      if (stopping) return;
      process.stderr.write(`bench: the server exited unexpectedly (code ${code}, signal ${signal})\n`);
      onUnexpectedExit();
    });
    return port;
  });
}

function serverAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Asks the server to close, and kills it if it has not within STOP_TIMEOUT_MS. */
export async function stopServer(): Promise<void> {
  const child = server;
  stopping = true;
  if (!child || !serverAlive(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop: ControlMessage = { type: 'stop' };
  if (child.connected) child.send(stop);
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/** For a synchronous `exit` handler: no server outlives the run, however it ends. */
export function killServer(): void {
  if (server && serverAlive(server)) server.kill('SIGKILL');
}
