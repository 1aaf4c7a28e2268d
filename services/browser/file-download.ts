/** Saves text as a file through a Blob URL: nothing leaves the browser. */
export function downloadText(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own reference by now; give the browser a moment before revoking.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** `ssh-<host>-<ISO date>.log`, with the characters file systems dislike replaced. */
export function logFileName(host: string, date: Date): string {
  const safeHost = host.replace(/[^A-Za-z0-9._-]+/g, '_') || 'session';
  return `ssh-${safeHost}-${date.toISOString().replace(/:/g, '-')}.log`;
}
