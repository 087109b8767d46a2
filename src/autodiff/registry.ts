/** The gradient registry: op type (or `domain:opType` outside the default domain) to rule. */
import type { NodeProto } from '../onnx/proto.js';
import { Registry } from '../util/registry.js';
import type { GradientRule } from './rule.js';

export const gradientRegistry = new Registry<GradientRule>('gradient rule');

export function ruleKey(node: Pick<NodeProto, 'opType' | 'domain'>): string {
  return node.domain && node.domain !== 'ai.onnx' ? `${node.domain}:${node.opType}` : node.opType;
}
