/*
 * TLS through Node-RED's core tls-config node (as the core mqtt node does): a node's `tls` property names a tls-config
 * node, whose addTLSOptions() fills in CA, client certificate, key, passphrase, server name and verification.
 */
import type { NodeAPI, Node } from './red';
import type { TlsOptions } from '../../lib/tls-options';
import { configFlag } from './config';

/** The core tls-config node as the runtime registers it (nodes/core/network/05-tls.js). */
export interface TlsConfigNode extends Node {
  /** False when its certificate files could not be read (it has logged why). */
  valid: boolean;
  addTLSOptions(opts: TlsOptions): TlsOptions;
}

/** A saved `tls` value that names a config node (flows from before tls-config kept a true/false flag there). */
export function tlsConfigId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const id = value.trim();
  return id === '' || id === 'true' || id === 'false' ? undefined : id;
}

/**
 * TLS on or off (kafka broker): `usetls`, or in a flow from before tls-config, the flag `tls` held then. An old flag
 * `true` wins: an editor that filled in `usetls`' default (false) on import must not turn TLS off behind the user's back.
 */
export function tlsWanted(usetls: unknown, tls: unknown): boolean {
  if (configFlag(tls, false)) return true;
  return configFlag(usetls, false);
}

/**
 * The TLS options of the tls-config node `value` names; undefined when it names none. Throws `missingText` when the
 * named node is not deployed (or is not a tls-config node): connecting with defaults instead would hide the mistake.
 */
export function tlsConfigOptions(RED: NodeAPI, value: unknown, missingText: string): TlsOptions | undefined {
  const id = tlsConfigId(value);
  if (!id) return undefined;
  const config = RED.nodes.getNode(id) as TlsConfigNode | null;
  if (!config || config.type !== 'tls-config' || typeof config.addTLSOptions !== 'function')
    throw new Error(missingText);
  return config.addTLSOptions({});
}
