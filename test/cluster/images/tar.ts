/** One entry of a tar archive. Paths are relative, without a leading slash. */
export type TarEntry =
  | { type: 'file'; path: string; data: Uint8Array; mode?: number; uid?: number; gid?: number }
  | { type: 'directory'; path: string; mode?: number; uid?: number; gid?: number }
  | { type: 'symlink'; path: string; target: string };

const block = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** ustar keeps names of up to 255 bytes as prefix + '/' + name; enough for every image here. */
function splitName(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new Error(`tar path too long for ustar: ${path}`);
}

function header(entry: TarEntry, size: number): Buffer {
  const buffer = Buffer.alloc(block, 0);
  const path = entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const { name, prefix } = splitName(path);
  const defaultMode = entry.type === 'directory' || entry.type === 'symlink' ? 0o755 : 0o644;
  const mode = entry.type === 'symlink' ? 0o777 : (entry.mode ?? defaultMode);
  const uid = entry.type === 'symlink' ? 0 : (entry.uid ?? 0);
  const gid = entry.type === 'symlink' ? 0 : (entry.gid ?? 0);
  buffer.write(name, 0, 100, 'utf8');
  buffer.write(octal(mode, 8), 100, 'ascii');
  buffer.write(octal(uid, 8), 108, 'ascii');
  buffer.write(octal(gid, 8), 116, 'ascii');
  buffer.write(octal(size, 12), 124, 'ascii');
  // A fixed time keeps layers, and so their digests, the same from build to build.
  buffer.write(octal(0, 12), 136, 'ascii');
  buffer.write(' '.repeat(8), 148, 'ascii');
  buffer.write(entry.type === 'file' ? '0' : entry.type === 'directory' ? '5' : '2', 156, 'ascii');
  if (entry.type === 'symlink') buffer.write(entry.target, 157, 100, 'utf8');
  buffer.write('ustar\0', 257, 'ascii');
  buffer.write('00', 263, 'ascii');
  buffer.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of buffer) sum += byte;
  buffer.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return buffer;
}

/** A POSIX ustar archive of the entries, in the given order. */
export function tarArchive(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    if (entry.type === 'symlink' && Buffer.byteLength(entry.target) > 100) throw new Error(`symlink target too long: ${entry.target}`);
    const data = entry.type === 'file' ? entry.data : new Uint8Array();
    parts.push(header(entry, data.byteLength));
    if (data.byteLength > 0) {
      parts.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      const padding = (block - (data.byteLength % block)) % block;
      if (padding > 0) parts.push(Buffer.alloc(padding));
    }
  }
  parts.push(Buffer.alloc(block * 2));
  return Buffer.concat(parts);
}
