/** Placeholder during development. */
export async function writeReport(_dir: string, _o: { log?: (l: string) => void }): Promise<void> {}
