/**
 * Synchronous last-chance cleanup for when a test run dies without calling stop():
 * only synchronous work is possible inside a process 'exit' handler.
 */
const cleanups = new Set<() => void>();
let hooked = false;

/** Registers `cleanup` to run on process exit; the returned function unregisters it. */
export function onProcessExit(cleanup: () => void): () => void {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      // Newest first, like unwinding: a later registration may depend on an earlier one
      // still existing (killing sshd's process tree needs its listener alive to find it).
      for (const run of [...cleanups].reverse()) {
        try {
          run();
        } catch {
          // Exit is in progress; one failed cleanup must not prevent the others.
        }
      }
    });
  }
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}
