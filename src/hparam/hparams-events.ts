// TensorBoard's HPARAMS view, written here: summaries whose metadata names the `hparams` plugin and carries a
// serialized HParamsPluginData (plugin_data.proto): the experiment (every searched key and the metric) in the
// study folder, and each trial's session start (its values) and end (its status) in the trial's folder. The
// trial's scalars are in its run folder below, so the metric's group is that folder's name.
import { closeSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { frameRecord, ProtoWriter } from '../train/tfevents.js';
import type { ParamSpec, Params, ParamValue } from './space.js';

/** The run folder's name inside a trial folder (the metric group of the HPARAMS view). */
export const TRIAL_RUN = 'run';

const TAGS = {
  experiment: '_hparams_/experiment',
  start: '_hparams_/session_start_info',
  end: '_hparams_/session_end_info',
};
// api.proto enums.
const DATA_TYPE = { string: 1, bool: 2, float64: 3 } as const;
const DATASET_VALIDATION = 2;
export const SESSION_STATUS = { unknown: 0, success: 1, failure: 2, running: 3 } as const;

/** google.protobuf.Value: number_value = 2, string_value = 3, bool_value = 4. */
function protoValue(v: ParamValue): Uint8Array {
  const w = new ProtoWriter();
  if (typeof v === 'number') w.double(2, v);
  else if (typeof v === 'string') w.string(3, v);
  else w.int64(4, v ? 1 : 0);
  return w.finish();
}

/** A Summary with one value: tag = 1, tensor = 8 (a float scalar 0), metadata = 9 (plugin hparams). */
function hparamsSummary(tag: string, pluginData: Uint8Array): Uint8Array {
  const plugin = new ProtoWriter().string(1, 'hparams').bytes(2, pluginData).finish();
  // SummaryMetadata: plugin_data = 1, data_class = 4 (DATA_CLASS_TENSOR = 2).
  const metadata = new ProtoWriter().bytes(1, plugin).int64(4, 2).finish();
  // TensorProto: dtype = 1 (DT_FLOAT), tensor_shape = 2 (a scalar), float_val = 5.
  const tensor = new ProtoWriter().int64(1, 1).bytes(2, new Uint8Array()).float(5, 0).finish();
  const value = new ProtoWriter().string(1, tag).bytes(8, tensor).bytes(9, metadata).finish();
  return new ProtoWriter().bytes(1, value).finish();
}

/** HParamsPluginData: version = 1, experiment = 2, session_start_info = 3, session_end_info = 4. */
const pluginData = (field: 2 | 3 | 4, body: Uint8Array) =>
  new ProtoWriter().int64(1, 0).bytes(field, body).finish();

export function experimentSummary(
  space: readonly ParamSpec[],
  metricTag: string,
  name: string,
  createdSecs: number,
): Uint8Array {
  const experiment = new ProtoWriter().string(6, name).double(3, createdSecs);
  for (const p of space) {
    // HParamInfo: name = 1, type = 4, domain_discrete = 5 (ListValue.values = 1), domain_interval = 6.
    const info = new ProtoWriter().string(1, p.key);
    const d = p.distribution;
    if (d.type === 'categorical') {
      const first = d.values[0];
      info.int64(
        4,
        typeof first === 'number'
          ? DATA_TYPE.float64
          : typeof first === 'boolean'
            ? DATA_TYPE.bool
            : DATA_TYPE.string,
      );
      const list = new ProtoWriter();
      for (const v of d.values) list.bytes(1, protoValue(v));
      info.bytes(5, list.finish());
    } else {
      info.int64(4, DATA_TYPE.float64);
      info.bytes(6, new ProtoWriter().double(1, d.low).double(2, d.high).finish());
    }
    experiment.bytes(4, info.finish());
  }
  // MetricInfo: name = 1 (MetricName: group = 1, tag = 2), dataset_type = 5.
  const metricName = new ProtoWriter().string(1, TRIAL_RUN).string(2, metricTag).finish();
  experiment.bytes(5, new ProtoWriter().bytes(1, metricName).int64(5, DATASET_VALIDATION).finish());
  return hparamsSummary(TAGS.experiment, pluginData(2, experiment.finish()));
}

export function sessionStartSummary(params: Params, startSecs: number, groupName: string): Uint8Array {
  // SessionStartInfo: hparams = 1 (map entries: key = 1, value = 2), group_name = 4, start_time_secs = 5.
  const start = new ProtoWriter();
  for (const [k, v] of Object.entries(params))
    start.bytes(1, new ProtoWriter().string(1, k).bytes(2, protoValue(v)).finish());
  start.string(4, groupName).double(5, startSecs);
  return hparamsSummary(TAGS.start, pluginData(3, start.finish()));
}

export function sessionEndSummary(status: number, endSecs: number): Uint8Array {
  // SessionEndInfo: status = 1, end_time_secs = 2.
  const end = new ProtoWriter().int64(1, status).double(2, endSecs).finish();
  return hparamsSummary(TAGS.end, pluginData(4, end));
}

/**
 * Writes summaries as one new events file in `dir` (Event: wall_time = 1, step = 2, file_version = 3,
 * summary = 5); null when `name` is given and that file exists already (another searcher wrote it).
 */
export function writeSummaryEvents(
  dir: string,
  label: string,
  summaries: Uint8Array[],
  wallSecs = Date.now() / 1000,
  name = `events.out.tfevents.${Math.floor(wallSecs)}.${hostname()}.${process.pid}.${label}`,
): string | null {
  const file = join(dir, name);
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw error;
  }
  try {
    writeSync(fd, frameRecord(new ProtoWriter().double(1, wallSecs).string(3, 'brain.Event:2').finish()));
    for (const s of summaries)
      writeSync(fd, frameRecord(new ProtoWriter().double(1, wallSecs).int64(2, 0).bytes(5, s).finish()));
  } finally {
    closeSync(fd);
  }
  return file;
}
