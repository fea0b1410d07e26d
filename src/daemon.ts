/** Composition root: builds every stage, starts them in order, stops them in reverse. */
export async function runDaemon(
  _configFile: string,
  _opts: { exitAfterS?: number | undefined },
): Promise<void> {
  throw new Error('not wired yet');
}
