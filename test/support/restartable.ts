/** A server handle whose `restart()` stops it and starts it again the same way (same ports, same data). */
export async function restartable<T extends { pid: number; stop(): Promise<void> }>(
  start: () => Promise<T>,
): Promise<T & { restart(): Promise<void> }> {
  let current = await start();
  return {
    ...current,
    get pid() {
      return current.pid;
    },
    stop: () => current.stop(),
    restart: async () => {
      await current.stop();
      current = await start();
    },
  };
}
