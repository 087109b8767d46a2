/** `retort inspect MODEL`: what a model is made of, as tables or --json. */
import { Option, type Command } from 'commander';
import { inspectModel, type InspectionSummary } from '../../eval/inspect.js';
import { inferModelShapes, type InferredShapes } from '../../eval/macs.js';
import { Graph } from '../../onnx/graph.js';
import { loadModel } from '../../onnx/model.js';
import type { ModelProto } from '../../onnx/proto.js';
import { RetortError } from '../../util/errors.js';
import { formatBytes, formatDims, formatFields, formatMetric, formatTable } from '../format.js';

interface InspectFlags {
  inputShape: string[];
  json?: boolean;
  macs: boolean;
  top: string;
}

/** One `--input-shape NAME=DIMS` value, e.g. `input=1x3x224x224`; the name may itself contain '='. */
export function parseInputShape(spec: string): [string, number[]] {
  const at = spec.lastIndexOf('=');
  const name = at > 0 ? spec.slice(0, at) : '';
  const dimsText = at > 0 ? spec.slice(at + 1) : '';
  const dims = dimsText === '' ? [] : dimsText.split(/[x,]/).map((d) => Number(d));
  if (!name || dims.length === 0 || !dims.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RetortError(
      'BAD_ARGUMENT',
      `--input-shape "${spec}": expected NAME=DIMS with positive integer dims separated by 'x', e.g. input=1x3x224x224`,
    );
  }
  return [name, dims];
}

function parseInputShapes(specs: readonly string[], model: ModelProto, modelPath: string): Record<string, number[]> {
  const known = new Graph(model.graph!).dataInputs.map((i) => i.name);
  const shapes: Record<string, number[]> = {};
  for (const spec of specs) {
    const [name, dims] = parseInputShape(spec);
    if (!known.includes(name)) {
      throw new RetortError(
        'UNKNOWN_INPUT',
        `--input-shape "${spec}": ${modelPath} has no input "${name}". Should be one of: ${known.join(', ')}`,
      );
    }
    shapes[name] = dims;
  }
  return shapes;
}

function parseTop(value: string): number {
  const top = Number(value);
  if (!Number.isInteger(top) || top < 0) {
    throw new RetortError('BAD_ARGUMENT', `--top "${value}": expected a whole number of tensors to list (0 or more)`);
  }
  return top;
}

/**
 * MACs need one ORT run. A model ORT cannot run (an op it lacks, a rank the given shapes do not
 * fit, weights too large for one in-memory protobuf) still gets the rest of its report; the reason
 * is printed instead of the MAC table.
 */
async function shapesOrReason(model: ModelProto, shapes: Record<string, number[]>): Promise<InferredShapes | string> {
  try {
    return await inferModelShapes(model, shapes);
  } catch (e) {
    if (e instanceof RetortError && (e.code === 'RUNTIME_FAILURE' || e.code === 'MODEL_TOO_LARGE')) return e.message;
    throw e;
  }
}

function renderText(path: string, s: InspectionSummary, macsNote: string | undefined): string {
  const opsets = s.opsets.map((o) => `${o.domain} ${o.version}`).join(', ');
  const parts = [
    formatFields([
      ['model', path],
      ['ir version', String(s.irVersion)],
      ['producer', `${s.producer.name} ${s.producer.version}`.trim() || '(none)'],
      ['opsets', opsets],
      ['parameters', `${s.parameters.count.toLocaleString('en-US')} in ${s.parameters.tensors} tensors (${formatBytes(s.parameters.bytes)})`],
    ]),
    'inputs',
    formatTable(['name', 'dtype', 'shape'], s.inputs.map((v) => [v.name, v.dtype, formatDims(v.dims)]), { indent: 2 }),
    'outputs',
    formatTable(['name', 'dtype', 'shape'], s.outputs.map((v) => [v.name, v.dtype, formatDims(v.dims)]), { indent: 2 }),
    `ops (${s.nodeCount} nodes)`,
    formatTable(['op', 'count'], s.opHistogram.map((o) => [o.opType, o.count]), { indent: 2 }),
    `stored tensors (${s.storedTensors.tensors}, ${formatBytes(s.storedTensors.bytes)})`,
    formatTable(['dtype', 'tensors', 'elements', 'bytes'], s.storedTensors.byDtype.map((d) => [d.dtype, d.tensors, d.elements, d.bytes]), { indent: 2 }),
  ];
  if (s.macs) {
    const shapes = Object.entries(s.macs.inputShapes).map(([n, d]) => `${n}=${d.join('x')}`).join(' ');
    parts.push(`MACs for ${shapes} (${formatMetric(s.macs.total)}; one MAC = one multiply-add, Conv/ConvTranspose/MatMul/Gemm only)`);
    const rows = s.macs.byOpType.map((o) => [o.opType, o.nodes, o.macs] as [string, number, number]);
    parts.push(formatTable(['op', 'nodes', 'MACs'], [...rows, ['total', '', s.macs.total]], { indent: 2 }));
    if (s.macs.uncounted.length > 0) parts.push(`  not counted (shape unknown): ${s.macs.uncounted.join(', ')}`);
  } else if (macsNote) {
    parts.push(`MACs: ${macsNote}`);
  }
  if (s.largestTensors.length > 0) {
    parts.push('largest tensors');
    parts.push(formatTable(['name', 'storage', 'dtype', 'shape', 'bytes'], s.largestTensors.map((t) => [t.name, t.storage, t.dtype, formatDims(t.dims), t.bytes]), { indent: 2 }));
  }
  return parts.join('\n');
}

async function runInspect(path: string, flags: InspectFlags): Promise<void> {
  const top = parseTop(flags.top);
  // Parse shape specs before the (possibly large) model is read, so typos fail fast.
  for (const spec of flags.inputShape) parseInputShape(spec);
  const model = loadModel(path);
  const shapes = parseInputShapes(flags.inputShape, model, path);
  const inferred = flags.macs ? await shapesOrReason(model, shapes) : 'not estimated (--no-macs)';
  const reason = typeof inferred === 'string' ? inferred : undefined;
  const summary = inspectModel(model, { top, shapes: typeof inferred === 'string' ? null : inferred });
  if (flags.json) {
    const note = reason === undefined ? {} : { macsUnavailable: reason };
    process.stdout.write(`${JSON.stringify({ model: path, ...summary, ...note }, null, 2)}\n`);
  } else {
    process.stdout.write(`${renderText(path, summary, reason)}\n`);
  }
}

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('Show what an ONNX model is made of: IR and opsets, inputs/outputs, op histogram, parameters and stored bytes by dtype, MACs per op type, largest tensors')
    .argument('<model>', 'path to an .onnx file (external data is read from beside it)')
    .addOption(
      new Option(
        '--input-shape <name=dims>',
        'concrete shape for one model input when estimating MACs, e.g. input=1x3x224x224; repeat for several inputs. Inputs not given use their declared dims with symbolic dims set to 1',
      )
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default([], 'declared dims'),
    )
    .option('--no-macs', 'skip the one ONNX Runtime run that MAC estimation needs')
    .option('--top <n>', 'how many of the largest stored tensors to list', '10')
    .option('--json', 'print the whole summary as one JSON object instead of tables')
    .action(async (path: string, flags: InspectFlags) => runInspect(path, flags));
}
