import { readFile } from 'node:fs/promises';

/**
 * Follows files that kubelet projects from a Secret. kubelet replaces a Secret volume's content
 * by swapping a symlink (`..data`), which file-system events report unreliably, and a volume may
 * change a minute or more after the Secret did; so the files are re-read on a timer and compared
 * by content. A small Secret makes that cheap.
 */
export interface FileSetWatcher {
  stop(): void;
}

export interface WatchOptions {
  intervalMs: number;
  /** Called with every file's new content when any of them changed; a throw counts as a failed load. */
  onChange: (contents: Buffer[]) => void;
  /** Called when the files cannot be read or onChange refused them; the last good state stays in use. */
  onError: (error: unknown) => void;
  /** How a file is read; readFile unless given (the write gate reads a missing file as empty). */
  read?: (file: string) => Promise<Buffer>;
}

/**
 * Reads the files once (a failure there is thrown: the caller cannot start without them), hands
 * them to onChange, then polls until stopped.
 */
export async function watchFiles(files: readonly string[], options: WatchOptions): Promise<FileSetWatcher> {
  const read = options.read ?? ((file: string) => readFile(file));
  let last = await Promise.all(files.map(read));
  options.onChange(last);
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    Promise.all(files.map(read))
      .then((contents) => {
        if (contents.every((content, index) => content.equals(last[index]!))) return;
        // Remembered even when refused, so a bad version is reported once, not on every poll.
        last = contents;
        options.onChange(contents);
      })
      .catch(options.onError)
      .finally(() => {
        polling = false;
      });
  }, options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
