/**
 * `npx cdktf synth` runs this (see cdktf.json): the cdk8s example stack as `kubernetes_manifest`
 * resources, for `cdktf deploy`.
 */
import { App } from 'cdktf';
import { ExampleStack } from './stack.js';

const app = new App();
new ExampleStack(app, 'example');
app.synth();
