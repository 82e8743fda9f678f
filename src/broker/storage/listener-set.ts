/**
 * Listeners called synchronously in the order they were added. A listener that throws does not stop the
 * others nor the log: its error is rethrown on a later tick (an uncaught exception, as from an
 * EventEmitter), because a listener must not throw.
 */
export class ListenerSet<T> {
  private readonly listeners = new Set<(value: T) => void>();

  get size(): number {
    return this.listeners.size;
  }

  add(listener: (value: T) => void): () => void {
    const wrapped = (value: T): void => listener(value);
    this.listeners.add(wrapped);
    return () => {
      this.listeners.delete(wrapped);
    };
  }

  emit(value: T): void {
    for (const listener of this.listeners) {
      try {
        listener(value);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
