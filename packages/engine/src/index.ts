export { createEngine } from './engine.js';
export {
  AIGate,
  judge,
  judgeReply,
  boundedFetch,
  ReplyRefused,
  type AIGateCall,
  type AIGateVerdict,
  type AIGateErrorCode,
  type AIGateOptions,
  type JudgedReply,
  type JudgeStage,
} from './aigate.js';
