/**
 * Writes lines to stdout in chunks of up to 64 KiB, copying each line as it comes (a record's value may be
 * a view into a buffer the client reuses). Passes backpressure on: `line()` returns a promise when the
 * stream is full, and the caller waits for it before pulling the next record. A closed pipe (`| head`)
 * marks the printer broken instead of crashing; the command then stops quietly.
 */
export class LinePrinter {
  static readonly CHUNK_BYTES = 64 * 1024;
  #stream: NodeJS.WritableStream;
  #chunk = Buffer.allocUnsafe(LinePrinter.CHUNK_BYTES);
  #pos = 0;
  #scheduled = false;
  #drain: Promise<void> | undefined;
  /** The last write not yet handed to the OS (its callback not called): a flush waits for it. */
  #written: Promise<void> | undefined;
  #broken = false;
  #onBroken: (() => void) | undefined;
  lines = 0;

  constructor(stream: NodeJS.WritableStream, onBroken?: () => void) {
    this.#stream = stream;
    this.#onBroken = onBroken;
    stream.on('error', this.#onError);
  }

  /** True once the reader went away (EPIPE) or the stream failed: nothing more will be written. */
  get broken(): boolean {
    return this.#broken;
  }

  #onError = (): void => {
    if (this.#broken) return;
    this.#broken = true;
    this.#onBroken?.();
  };

  /** Appends one line (a newline is added). Returns a promise to wait for when the stream is full. */
  line(data: Buffer | string): Promise<void> | undefined {
    if (this.#broken) return undefined;
    this.lines++;
    const size = (typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length) + 1;
    if (this.#pos + size > this.#chunk.length) {
      this.#flush();
      if (size > this.#chunk.length) {
        const big = Buffer.allocUnsafe(size);
        if (typeof data === 'string') big.write(data, 0, 'utf8');
        else data.copy(big, 0);
        big[size - 1] = 0x0a;
        this.#write(big);
        return this.#drain;
      }
    }
    if (typeof data === 'string') this.#pos += this.#chunk.write(data, this.#pos, 'utf8');
    else this.#pos += data.copy(this.#chunk, this.#pos);
    this.#chunk[this.#pos++] = 0x0a;
    if (this.#pos >= this.#chunk.length - 256) this.#flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#flush();
      });
    }
    return this.#drain;
  }

  #flush(): void {
    if (this.#pos === 0 || this.#broken) return;
    const out = this.#chunk.subarray(0, this.#pos);
    this.#chunk = Buffer.allocUnsafe(LinePrinter.CHUNK_BYTES);
    this.#pos = 0;
    this.#write(out);
  }

  #write(buffer: Buffer): void {
    if (this.#broken) return;
    let ok = true;
    try {
      // the callback comes once the OS has the bytes: write() returning true says only that Node's buffer
      // took them (a pipe whose reader is slow queues them in this process, and a kill would lose them)
      const written = new Promise<void>((resolve) => {
        ok = this.#stream.write(buffer, () => resolve());
      });
      this.#written = written;
      void written.then(() => {
        if (this.#written === written) this.#written = undefined;
      });
    } catch {
      this.#onError();
      return;
    }
    if (!ok && this.#drain === undefined) {
      this.#drain = new Promise<void>((resolve) => {
        const done = (): void => {
          this.#stream.off('drain', done);
          this.#stream.off('error', done);
          this.#drain = undefined;
          resolve();
        };
        this.#stream.on('drain', done);
        this.#stream.on('error', done);
      });
    }
  }

  /**
   * Writes what is buffered now; the promise (when a write is still queued in this process) resolves once the
   * OS has every line written so far — what a commit after it covers is really out.
   */
  flush(): Promise<void> | undefined {
    this.#flush();
    return this.#written ?? this.#drain;
  }

  /** Writes what is buffered and waits until the stream has taken it. */
  async end(): Promise<void> {
    this.#flush();
    if (this.#drain !== undefined) await this.#drain;
    this.#stream.off('error', this.#onError);
    // a late EPIPE after this point must not crash the process
    this.#stream.on('error', () => undefined);
  }
}
