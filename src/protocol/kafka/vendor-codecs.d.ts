/** The parts of the two untyped CommonJS codec packages that evq calls (compression only). */
declare module 'snappyjs' {
  const snappyjs: {
    /** A raw snappy stream of `data`. */
    compress(data: Uint8Array): Uint8Array;
  };
  export default snappyjs;
}

declare module 'lz4js' {
  const lz4js: {
    /** One LZ4 frame of `data` (linked 4 MiB blocks, no checksums). */
    compress(data: Uint8Array): Uint8Array;
  };
  export default lz4js;
}
