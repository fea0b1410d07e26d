import { rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../core/log.ts';

/**
 * The reserve file under the data folder: space held back so that, when the disk fills, deleting
 * synced data and storing hits and unsynced reads still has room. Released at the first
 * SQLITE_FULL and re-created as soon as free space allows it again, not on a maintenance timer:
 * a second full disk shortly after the first must find the reserve in place.
 */
export class DiskReserve {
  private released = false;

  constructor(
    private readonly dataDir: string,
    private readonly reserveMb: number,
    private readonly log: Logger,
  ) {}

  get path(): string {
    return join(this.dataDir, '.alpr-reserve');
  }

  /** True while the reserve is given up and not yet back. */
  get missing(): boolean {
    return this.released;
  }

  freeBytes(): number {
    const s = statfsSync(this.dataDir);
    return s.bavail * s.bsize;
  }

  /** Gives the reserve's space to the disk; true when there was a file to delete. */
  release(): boolean {
    if (this.reserveMb <= 0) return false;
    const had = fileSize(this.path) > 0;
    rmSync(this.path, { force: true });
    this.released = true;
    if (had) this.log.warn({ mb: this.reserveMb }, 'disk full: reserve released for hits and unsynced reads');
    return had;
  }

  /**
   * (Re)creates the reserve when there is room for it; true when in place. It comes before the
   * watermark and before new records: without it, the next full disk has no room to purge in.
   */
  ensure(): boolean {
    const bytes = this.reserveMb * 1024 * 1024;
    if (bytes <= 0) return true;
    try {
      if (fileSize(this.path) === bytes) {
        this.released = false;
        return true;
      }
      if (this.freeBytes() < bytes) return false;
      writeFileSync(this.path, Buffer.alloc(bytes));
      if (this.released) this.log.info({ mb: this.reserveMb }, 'disk reserve re-created');
      this.released = false;
      return true;
    } catch (err) {
      // A half-written reserve would only take space the store needs.
      rmSync(this.path, { force: true });
      this.log.warn({ err: (err as Error).message }, 'cannot create the disk reserve file');
      return false;
    }
  }
}

/** Size of a file, or -1 when it does not exist. */
function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return -1;
  }
}
