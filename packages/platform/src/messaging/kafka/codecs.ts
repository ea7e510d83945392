import { decompress as zstdDecompress } from "fzstd";
// kafkajs is CommonJS whose codec registry Node's ESM loader cannot see as a named export.
import kafkajs from "kafkajs";
import SnappyCodec from "kafkajs-snappy";
import { compressFrame, decompressFrame } from "lz4-napi";

const { CompressionCodecs, CompressionTypes } = kafkajs;

/**
 * kafkajs decodes only gzip by itself. A record batch compressed with snappy, lz4 or zstd (what a
 * Java or librdkafka producer sends when so configured) makes its fetch fail with "not
 * implemented", and that crashes the consumer for good, on every restart, at the same offset.
 * With these codecs every batch a Kafka broker accepts can be read. Only zstd cannot be written:
 * this project's producers never compress.
 */
export function registerCodecs(): void {
  CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = () => ({
    compress: async (encoder: { buffer: Buffer }) => compressFrame(encoder.buffer),
    decompress: async (buffer: Buffer) => decompressFrame(buffer),
  });
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    compress: async () => {
      throw new Error("zstd compression is not supported; produce uncompressed or with gzip, snappy or lz4");
    },
    decompress: async (buffer: Buffer) => Buffer.from(zstdDecompress(buffer)),
  });
}
