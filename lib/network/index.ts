export * from './network-policies.js';
export { checkPeer, EVERYONE, urlPort, type NetworkPeerProps } from './peers.js';
