// A small typed builder for SageMaker pipeline definitions: parameters, steps, Get / Std:Join / Std:JsonGet
// expressions and property files, checked at build time.
export * from './errors';
export * from './expressions';
export * from './steps';
export * from './pipeline-definition';
