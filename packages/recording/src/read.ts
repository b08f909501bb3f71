// Reading a recording file of any registered format into RecordedRequests, all problems at once.
import { InvalidInputError, type RecordedRequest } from "@parallax/protocol";
import { detectFormat, type TrafficFormat } from "./detect.js";
import { checkReadable } from "./files.js";
import { readHar } from "./har.js";
import { readJsonl } from "./jsonl.js";
import { Ingest, type Candidate, type RequestValidator } from "./normalise.js";
import { compileRedaction, type Redaction, type RedactionOptions } from "./redact.js";

export interface ReadOptions {
  readonly format?: TrafficFormat | "auto";
  readonly redact?: RedactionOptions;
  /** Checks each request beyond its format (e.g. gRPC calls against the protos); problems are reported at the request's line. */
  readonly validate?: RequestValidator;
}

/** Each format streams candidates from a file; normalisation, redaction and sequencing are shared. */
const READERS: Readonly<Record<TrafficFormat, (file: string) => AsyncIterable<Candidate>>> = {
  har: readHar,
  jsonl: readJsonl,
};

/** Streams requests from a file; index and offsetMs are assigned in order. Requests stop at the first problem; reading goes on to collect up to 20, then one InvalidInputError is thrown. */
export async function* readRecording(file: string, options: ReadOptions = {}): AsyncGenerator<RecordedRequest> {
  const format = await resolveFormat(file, options);
  yield* readFormat(file, format, compileRedaction(options.redact), options.validate);
}

/** The whole recording in memory; an empty recording is an error too. */
export async function loadRecording(file: string, options: ReadOptions = {}): Promise<{ requests: RecordedRequest[]; format: TrafficFormat }> {
  const format = await resolveFormat(file, options);
  const requests: RecordedRequest[] = [];
  for await (const request of readFormat(file, format, compileRedaction(options.redact), options.validate)) requests.push(request);
  if (requests.length === 0) throw new InvalidInputError([{ file, message: "the recording holds no requests" }]);
  return { requests, format };
}

async function resolveFormat(file: string, options: ReadOptions): Promise<TrafficFormat> {
  const unreadable = await checkReadable(file);
  if (unreadable !== undefined) throw new InvalidInputError([unreadable]);
  return options.format === undefined || options.format === "auto" ? detectFormat(file) : options.format;
}

async function* readFormat(file: string, format: TrafficFormat, redaction: Redaction, validate?: RequestValidator): AsyncGenerator<RecordedRequest> {
  const ingest = new Ingest(file, redaction, validate);
  for await (const candidate of READERS[format](file)) {
    const request = ingest.accept(candidate);
    if (request !== undefined) yield request;
    if (ingest.full) break;
  }
  if (ingest.issues.length > 0) throw new InvalidInputError(ingest.issues);
}
