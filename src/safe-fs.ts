// File-system steps that fail clearly instead of looping or leaving half a file behind.
//   makeDirs: Node's mkdirSync({ recursive: true }) loops for ever (in C++, deaf to signals) on a path whose
//   parent exists but refuses children with ENOENT, e.g. /proc/x; this walks the path once, one level a step.
//   writeFileAtomic: a temporary file beside the target, fsync, rename: a full disk leaves the old file whole.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, parse, resolve, sep } from 'node:path';

/** Creates `dir` and its missing parents; every failure names the folder that could not be made. */
export function makeDirs(dir: string, what = 'folder'): void {
  const full = resolve(dir);
  const { root } = parse(full);
  const parts = full.slice(root.length).split(sep).filter(Boolean);
  let path = root;
  for (const part of parts) {
    path = path === root ? `${root}${part}` : `${path}${sep}${part}`;
    try {
      mkdirSync(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(path).isDirectory()) continue;
      const why =
        code === 'EEXIST' ? `${path} exists and is not a folder` : `${path}: ${(error as Error).message}`;
      throw new Error(`cannot create the ${what} ${full}: ${why}`);
    }
  }
}

/**
 * Why a new file could not be made in its folder, in words: the file system's code alone misleads (a read-only
 * or virtual folder such as /proc answers ENOENT although the folder is there).
 */
export function cannotWrite(file: string, error: unknown): Error {
  const dir = dirname(resolve(file));
  const code = (error as NodeJS.ErrnoException).code ?? '';
  let why: string;
  if (!existsSync(dir)) why = `the folder ${dir} does not exist`;
  else if (!statSync(dir).isDirectory()) why = `${dir} is not a folder`;
  else if (code === 'ENOSPC') why = 'the disk is full';
  else
    why = `the folder ${dir} does not accept new files (read-only or not writable: ${code || (error as Error).message})`;
  return new Error(`cannot write ${file}: ${why}`);
}

/**
 * Writes a whole file or nothing: a temporary file in the same folder, fsync, then rename over the target. `data`
 * may be several parts, written in order (an index file's sections) without joining them first.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array | readonly Uint8Array[]): void {
  const temp = `${file}.tmp-${process.pid}`;
  let fd: number;
  try {
    fd = openSync(temp, 'w');
  } catch (error) {
    throw cannotWrite(file, error);
  }
  let open = true;
  try {
    const parts =
      typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
    for (const bytes of parts) {
      let at = 0;
      while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
    }
    fsyncSync(fd);
    open = false;
    closeSync(fd);
    renameSync(temp, file);
  } catch (error) {
    if (open) closeSync(fd);
    rmSync(temp, { force: true });
    throw cannotWrite(file, error);
  }
}
