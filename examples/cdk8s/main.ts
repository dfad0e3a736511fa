/**
 * `npx cdk8s synth` runs this (see cdk8s.yaml): writes the example stack as a GitOps layout to the
 * output directory (cdk8s-cli passes it as CDK8S_OUTDIR; default dist/): one folder per chart,
 * the CRDs in `00-crds/` first, a `kustomization.yaml` in each folder and at the root.
 */
import { GitOpsLayout } from '../../index.js';
import { buildExampleApp } from './app.js';

const app = buildExampleApp();
GitOpsLayout.fromApp(app).write(app.outdir);
