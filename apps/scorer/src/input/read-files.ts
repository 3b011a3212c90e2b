import type { S3Client } from '@aws-sdk/client-s3';
import { readCsv } from './csv';
import type { DecodePermit } from './decode-permit';
import { readJsonl } from './jsonl';
import { listLocalFiles, localInputFile } from './local-files';
import { readParquet } from './parquet';
import { listS3Files, s3InputFile } from './s3-files';
import { InputFile, InputFileDescription, InputListing, RowBatch } from './types';

export async function listInputFiles(inputPath: string, s3: () => S3Client): Promise<InputListing> {
  return inputPath.startsWith('s3://') ? listS3Files(s3(), inputPath) : listLocalFiles(inputPath);
}

/** How a columnar file is read (row formats ignore it). */
export interface ColumnarOptions {
  /** One Parquet row group decoded at a time across the process's pipelines. */
  permit?: DecodePermit;
  /**
   * Columns read as numbers even where Parquet stores 64-bit integers (which are BigInts otherwise): the model's
   * features, which it reads as float32 anyway. Not the entity id, whose digits must stay exact.
   */
  int64AsNumber?: string[];
}

/** Rows of one file in batches; `columns` lets columnar formats skip what the model does not read. */
export function readFile(file: InputFile, columns: string[], options: ColumnarOptions = {}): AsyncGenerator<RowBatch> {
  switch (file.format) {
    case 'csv':
      return readCsv(file);
    case 'jsonl':
      return readJsonl(file);
    case 'parquet':
      return readParquet(file, columns, options);
  }
}

/** A listed file again from its description (in a pipeline thread, which gets descriptions, not the listing's objects). */
export function openInputFile(file: InputFileDescription, s3: () => S3Client): InputFile {
  return file.uri.startsWith('s3://') ? s3InputFile(s3(), file) : localInputFile(file);
}

/** The plain data of a listed file. */
export const describeFile = ({ uri, format, gzip, size }: InputFileDescription): InputFileDescription => ({ uri, format, gzip, size });
