/**
 * Structured pruning to a MAC budget: analyze channel groups (or residual branches), score them,
 * and cut the least important until the model's MACs fall to `targetMacs` of the original. For
 * channels, every pruneable group keeps the same fraction of its channels (its most important
 * ones, at least one), and that fraction is found by bisection on the measured MACs.
 */
import type { ModelProto } from '../../onnx/proto.js';
import type { Feeds } from '../../runtime/session.js';
import { inferShapes, resolveInputShapes, sampleFeeds } from '../../runtime/shapeInference.js';
import { RetortError } from '../../util/errors.js';
import { branchImportance, findResidualBranches, removeBranches, type ResidualBranch } from './blocks.js';
import { analyzeChannelGroups, type ChannelGroup } from './dependencies.js';
import { channelImportance, elementScores, type Calibration, type ImportanceCriterion } from './importance.js';
import { removeChannels, type ChannelDecision } from './surgery.js';

export type PruneStructure = 'channels' | 'blocks';
export const PRUNE_STRUCTURES: readonly PruneStructure[] = ['channels', 'blocks'];

export interface StructuredPruneOptions {
  structure: PruneStructure;
  /** Fraction of the original MACs to keep, in (0, 1]. */
  targetMacs: number;
  importance: ImportanceCriterion;
  /** Counts a model's MACs (eval/macs.ts estimateMacs is the usual one; injected to keep layers apart). */
  countMacs: (model: ModelProto) => Promise<number>;
  calibration?: Calibration;
  /** Groups (by source node name) or branches (by Add node name) never pruned. */
  exclude?: readonly string[];
  /** Input shapes for the analysis; declared ones (symbolic dims = 1) otherwise. */
  inputShapes?: Record<string, readonly number[]>;
}

export interface GroupReport {
  source: string;
  producers: string[];
  channels: number;
  kept: number;
  blocked?: string;
}

export interface StructuredPruneResult {
  model: ModelProto;
  macsBefore: number;
  macsAfter: number;
  /** Channels: the fraction of channels every pruned group kept. */
  keepRatio?: number;
  groups: GroupReport[];
  removedBranches: ResidualBranch[];
}

async function shapesOf(model: ModelProto, inputShapes?: Record<string, readonly number[]>, feeds?: Feeds) {
  return inferShapes(model, feeds ?? sampleFeeds(model, resolveInputShapes(model, inputShapes ?? {}, 1)));
}

export async function pruneStructured(model: ModelProto, options: StructuredPruneOptions): Promise<StructuredPruneResult> {
  const { targetMacs } = options;
  if (!(targetMacs > 0 && targetMacs <= 1)) throw new RetortError('BAD_ARGUMENT', `--target-macs ${targetMacs}: expected a fraction in (0, 1]`);
  const shapes = await shapesOf(model, options.inputShapes);
  const scores = await elementScores(model, options.importance, options.calibration);
  const macsBefore = await options.countMacs(model);
  const exclude = new Set(options.exclude ?? []);
  return options.structure === 'channels'
    ? pruneChannels(model, analyzeChannelGroups(model, shapes), options, scores, macsBefore, exclude)
    : pruneBlocks(model, findResidualBranches(model, shapes), options, scores, macsBefore, exclude);
}

async function pruneChannels(
  model: ModelProto,
  groups: ChannelGroup[],
  options: StructuredPruneOptions,
  scores: Awaited<ReturnType<typeof elementScores>>,
  macsBefore: number,
  exclude: ReadonlySet<string>,
): Promise<StructuredPruneResult> {
  const prunable = groups.filter((g) => !g.blocked && !exclude.has(g.source));
  if (prunable.length === 0) throw new RetortError('BAD_ARGUMENT', `No channel group can be pruned: ${groups.map((g) => `${g.source}: ${g.blocked ?? 'excluded'}`).join('; ')}`);
  // Channels by descending importance, per group.
  const ranked = prunable.map((group) => {
    const importance = channelImportance(group, options.importance, scores);
    return { group, order: [...importance.keys()].sort((a, b) => importance[b]! - importance[a]! || a - b) };
  });
  const decide = (ratio: number): ChannelDecision[] =>
    ranked.map(({ group, order }) => ({
      group,
      keep: order.slice(0, Math.max(1, Math.round(group.channels * ratio))).sort((a, b) => a - b),
    }));
  const budget = options.targetMacs * macsBefore;
  let [low, high] = [0, 1];
  let best = { ratio: 1, model, macs: macsBefore };
  if (macsBefore > budget) {
    best = { ratio: 0, model: removeChannels(model, decide(0)), macs: 0 };
    best.macs = await options.countMacs(best.model);
    if (best.macs > budget) {
      throw new RetortError('BAD_ARGUMENT', `--target-macs ${options.targetMacs} is out of reach: one channel per group still costs ${(best.macs / macsBefore).toFixed(3)} of the MACs`);
    }
    // Largest keep ratio within budget; 20 halvings resolve one channel in a million.
    for (let i = 0; i < 20; i++) {
      const mid = (low + high) / 2;
      const candidate = removeChannels(model, decide(mid));
      const macs = await options.countMacs(candidate);
      if (macs <= budget) {
        low = mid;
        best = { ratio: mid, model: candidate, macs };
      } else high = mid;
    }
  }
  const kept = new Map(decide(best.ratio).map((d) => [d.group, d.keep.length]));
  return {
    model: best.model,
    macsBefore,
    macsAfter: best.macs,
    keepRatio: best.ratio,
    groups: groups.map((g) => ({ source: g.source, producers: g.producers, channels: g.channels, kept: kept.get(g) ?? g.channels, blocked: g.blocked ?? (exclude.has(g.source) ? 'excluded' : undefined) })),
    removedBranches: [],
  };
}

async function pruneBlocks(
  model: ModelProto,
  branches: ResidualBranch[],
  options: StructuredPruneOptions,
  scores: Awaited<ReturnType<typeof elementScores>>,
  macsBefore: number,
  exclude: ReadonlySet<string>,
): Promise<StructuredPruneResult> {
  const candidates = branches
    .filter((b) => !exclude.has(b.add))
    .map((branch) => ({ branch, importance: branchImportance(branch, options.importance, scores) }))
    .sort((a, b) => a.importance - b.importance);
  const budget = options.targetMacs * macsBefore;
  const removed: ResidualBranch[] = [];
  let current = { model, macs: macsBefore };
  for (const { branch } of candidates) {
    if (current.macs <= budget) break;
    const next = removeBranches(model, [...removed, branch]);
    removed.push(branch);
    current = { model: next, macs: await options.countMacs(next) };
  }
  if (current.macs > budget) {
    throw new RetortError('BAD_ARGUMENT', `--target-macs ${options.targetMacs} is out of reach by removing residual branches (${candidates.length} removable; ${(current.macs / macsBefore).toFixed(3)} of the MACs left)`);
  }
  return { model: current.model, macsBefore, macsAfter: current.macs, groups: [], removedBranches: removed };
}
