/** `npx cdk8s synth` runs this (see cdk8s.yaml): writes the example manifests to cdk8s.out/. */
import { buildExampleApp } from './app.js';

buildExampleApp().synth();
