/**
 * API.md: the reference of what the package entries export, generated from the TSDoc of the
 * published sources with the TypeScript compiler (the same program the build emits).
 *
 *   npm run docs                      rewrites API.md
 *   (npm run build checks it: a stale API.md fails the build and the unit test)
 *
 * Per entry (`platform-constructs`, `platform-constructs/tf`), sorted by kind then name: classes
 * (constructor, static factories, properties, methods), interfaces (a table of properties with
 * their `@default`), functions, types and constants. `@internal` members are left out, as they
 * are from the published declarations.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { packageProgram, REPO_ROOT } from './package-program.js';

export const API_REFERENCE_FILE = join(REPO_ROOT, 'API.md');

/** Entry file → the specifier users import it by. */
const ENTRY_SPECIFIERS: ReadonlyArray<readonly [string, string]> = [
  ['index.ts', 'platform-constructs'],
  ['tf.ts', 'platform-constructs/tf'],
];

const KIND_ORDER = ['Classes', 'Interfaces', 'Functions', 'Types', 'Constants'] as const;
type Kind = (typeof KIND_ORDER)[number];

interface Entry {
  readonly name: string;
  readonly kind: Kind;
  readonly text: string;
}

const FLAGS = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope;

export function renderApiReference(program: ts.Program): string {
  const checker = program.getTypeChecker();
  const parts: string[] = [
    '# API reference',
    '',
    '<!-- Generated from the TSDoc by scripts/api-reference.ts (`npm run docs`); do not edit by hand. -->',
    '',
  ];
  for (const [file, specifier] of ENTRY_SPECIFIERS) {
    const source = program.getSourceFile(join(REPO_ROOT, file));
    if (!source) throw new Error(`api-reference: ${file} is not part of the program`);
    const moduleSymbol = checker.getSymbolAtLocation(source)!;
    const entries = checker
      .getExportsOfModule(moduleSymbol)
      .map((s) => describeExport(checker, s))
      .filter((e): e is Entry => e !== undefined);
    parts.push(`## \`${specifier}\``, '');
    for (const kind of KIND_ORDER) {
      const ofKind = entries.filter((e) => e.kind === kind).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      if (ofKind.length === 0) continue;
      parts.push(`### ${kind}`, '');
      for (const e of ofKind) parts.push(e.text, '');
    }
  }
  return `${parts.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

/** Throws when API.md differs from what the sources give. */
export function checkApiReference(program: ts.Program): void {
  const expected = renderApiReference(program);
  let actual = '';
  try {
    actual = readFileSync(API_REFERENCE_FILE, 'utf8');
  } catch {
    // missing: reported below
  }
  if (actual !== expected) {
    throw new Error('API.md is out of date with the TSDoc of the package: run `npm run docs` and commit API.md');
  }
}

function describeExport(checker: ts.TypeChecker, exported: ts.Symbol): Entry | undefined {
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const decl = symbol.declarations?.[0];
  if (!decl || isInternal(decl)) return undefined;
  const name = exported.name;
  if (ts.isClassDeclaration(decl)) return { name, kind: 'Classes', text: renderClass(checker, name, decl) };
  if (ts.isInterfaceDeclaration(decl)) return { name, kind: 'Interfaces', text: renderInterface(checker, name, symbol, decl) };
  if (ts.isFunctionDeclaration(decl)) return { name, kind: 'Functions', text: renderFunction(checker, name, symbol) };
  if (ts.isTypeAliasDeclaration(decl)) return { name, kind: 'Types', text: renderTypeAlias(name, decl) };
  if (ts.isEnumDeclaration(decl)) return { name, kind: 'Types', text: renderEnum(name, decl) };
  if (ts.isVariableDeclaration(decl)) return { name, kind: 'Constants', text: renderConstant(checker, name, symbol, decl) };
  return undefined;
}

function isInternal(node: ts.Node): boolean {
  return ts.getJSDocTags(node).some((t) => t.tagName.text === 'internal');
}

/** `{@link X}` / `{@link X | text}` as code. */
function links(text: string): string {
  return text.replace(/\{@link\s+([^}|\s]+)\s*(?:\|\s*([^}]+))?\}/g, (_, target: string, label?: string) => `\`${(label ?? target).trim()}\``);
}

function docOf(checker: ts.TypeChecker, symbol: ts.Symbol): string {
  return links(ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim());
}

function tagOf(symbol: ts.Symbol, tag: string): string | undefined {
  const found = symbol.getJsDocTags().find((t) => t.name === tag);
  return found ? links(ts.displayPartsToString(found.text).trim()) : undefined;
}

/** Source text of a node on one line (types as the author wrote them, aliases kept). */
function oneLine(node: ts.Node | undefined): string {
  return node ? node.getText().replace(/\s*\n\s*/g, ' ') : '';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

function signatureText(checker: ts.TypeChecker, decl: ts.SignatureDeclaration): string {
  const params = decl.parameters.map((p) => `${oneLine(p.name)}${p.questionToken || p.initializer ? '?' : ''}: ${p.type ? oneLine(p.type) : checker.typeToString(checker.getTypeAtLocation(p), undefined, FLAGS)}`);
  const sig = checker.getSignatureFromDeclaration(decl);
  const returns = decl.type ? oneLine(decl.type) : sig ? checker.typeToString(sig.getReturnType(), undefined, FLAGS) : 'void';
  const typeParams = decl.typeParameters ? `<${decl.typeParameters.map((t) => oneLine(t)).join(', ')}>` : '';
  return `${typeParams}(${params.join(', ')}): ${returns}`;
}

function paramDocs(checker: ts.TypeChecker, decl: ts.SignatureDeclaration): string[] {
  return decl.parameters.flatMap((p) => {
    const sym = checker.getSymbolAtLocation(p.name);
    const doc = sym ? docOf(checker, sym) : '';
    return doc ? [`- \`${oneLine(p.name)}\`: ${doc}`] : [];
  });
}

/** `Extends X. Implements Y.` as a paragraph of its own, or nothing. */
function heritage(decl: ts.ClassDeclaration | ts.InterfaceDeclaration): string[] {
  const clauses = (decl.heritageClauses ?? []).map((h) => `${h.token === ts.SyntaxKind.ExtendsKeyword ? 'Extends' : 'Implements'} ${h.types.map((t) => `\`${oneLine(t)}\``).join(', ')}.`);
  return clauses.length ? ['', clauses.join(' ')] : [];
}

/** The heading and doc paragraph of an entry. */
function head(name: string, doc: string): string[] {
  return doc ? [`#### ${name}`, '', doc] : [`#### ${name}`];
}

function isPublic(member: ts.ClassElement): boolean {
  const flags = ts.getCombinedModifierFlags(member as ts.Declaration);
  if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return false;
  return !(member.name && ts.isPrivateIdentifier(member.name)) && !isInternal(member);
}

function renderClass(checker: ts.TypeChecker, name: string, decl: ts.ClassDeclaration): string {
  const symbol = checker.getSymbolAtLocation(decl.name!)!;
  const out = [...head(name, docOf(checker, symbol)), ...heritage(decl)];
  const isAbstract = ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Abstract;
  const ctor = decl.members.find(ts.isConstructorDeclaration);
  if (ctor && isPublic(ctor)) {
    const params = paramDocs(checker, ctor);
    out.push('', '```ts', `new ${name}${signatureText(checker, ctor).replace(/: [^:]*$/, '')}`, '```', ...(params.length ? ['', ...params] : []));
  } else if (isAbstract) {
    out.push('', '*Abstract*: created through its static factories.');
  }
  const members = decl.members.filter((m) => !ts.isConstructorDeclaration(m) && isPublic(m) && m.name !== undefined);
  const isStatic = (m: ts.ClassElement) => (ts.getCombinedModifierFlags(m as ts.Declaration) & ts.ModifierFlags.Static) !== 0;
  const rows = (list: ts.ClassElement[], prefix: string) =>
    list
      .sort((a, b) => (oneLine(a.name) < oneLine(b.name) ? -1 : 1))
      .map((m) => {
        const sym = checker.getSymbolAtLocation(m.name!);
        const doc = sym ? docOf(checker, sym) : '';
        if (ts.isMethodDeclaration(m)) {
          return `- \`${prefix}${oneLine(m.name)}${signatureText(checker, m)}\`${doc ? `: ${cell(doc)}` : ''}`;
        }
        const readonly = ts.getCombinedModifierFlags(m as ts.Declaration) & ts.ModifierFlags.Readonly || (ts.isGetAccessor(m) && !decl.members.some((o) => ts.isSetAccessor(o) && oneLine(o.name) === oneLine(m.name))) ? 'readonly ' : '';
        const optional = ts.isPropertyDeclaration(m) && m.questionToken ? '?' : '';
        const type = ts.isPropertyDeclaration(m) && m.type ? oneLine(m.type) : ts.isGetAccessor(m) && m.type ? oneLine(m.type) : sym ? checker.typeToString(checker.getTypeOfSymbolAtLocation(sym, m), undefined, FLAGS) : '';
        return `- \`${readonly}${prefix}${oneLine(m.name)}${optional}: ${type}\`${doc ? `: ${cell(doc)}` : ''}`;
      });
  const statics = rows(members.filter(isStatic), `${name}.`);
  const instance = rows(members.filter((m) => !isStatic(m)), '');
  if (statics.length) out.push('', '**Static**', '', ...statics);
  if (instance.length) out.push('', '**Members**', '', ...instance);
  return out.join('\n');
}

function renderInterface(checker: ts.TypeChecker, name: string, symbol: ts.Symbol, decl: ts.InterfaceDeclaration): string {
  const out = [...head(name, docOf(checker, symbol)), ...heritage(decl)];
  const props = decl.members.filter((m) => !isInternal(m));
  if (props.length) {
    out.push('', '| property | type | description | default |', '|---|---|---|---|');
    for (const m of props) {
      const sym = m.name ? checker.getSymbolAtLocation(m.name) : undefined;
      const doc = sym ? docOf(checker, sym) : '';
      const dflt = sym ? tagOf(sym, 'default') : undefined;
      const optional = (m as ts.PropertySignature).questionToken ? '?' : '';
      const readonly = ts.getCombinedModifierFlags(m as unknown as ts.Declaration) & ts.ModifierFlags.Readonly ? 'readonly ' : '';
      const type = ts.isPropertySignature(m) ? oneLine(m.type) : ts.isMethodSignature(m) ? signatureText(checker, m) : oneLine(m);
      const label = m.name ? `${readonly}${oneLine(m.name)}${optional}` : oneLine(m);
      out.push(`| \`${cell(label)}\` | \`${cell(type)}\` | ${cell(doc)} | ${dflt ? cell(dflt) : optional ? '' : '(required)'} |`);
    }
  }
  return out.join('\n');
}

function renderFunction(checker: ts.TypeChecker, name: string, symbol: ts.Symbol): string {
  const decls = (symbol.declarations ?? []).filter(ts.isFunctionDeclaration);
  const signatures = decls.filter((d) => !d.body || decls.length === 1);
  const doc = docOf(checker, symbol);
  const params = paramDocs(checker, signatures[0]);
  return [
    `#### ${name}`,
    '',
    '```ts',
    ...signatures.map((d) => `function ${name}${signatureText(checker, d)}`),
    '```',
    ...(doc ? ['', doc] : []),
    ...(params.length ? ['', ...params] : []),
  ].join('\n');
}

function renderTypeAlias(name: string, decl: ts.TypeAliasDeclaration): string {
  const symbolDoc = ts.getJSDocCommentsAndTags(decl).filter(ts.isJSDoc).map((d) => ts.getTextOfJSDocComment(d.comment) ?? '').join('\n').trim();
  const typeParams = decl.typeParameters ? `<${decl.typeParameters.map((t) => oneLine(t)).join(', ')}>` : '';
  return [`#### ${name}`, '', '```ts', `type ${name}${typeParams} = ${decl.type.getText()}`, '```', ...(symbolDoc ? ['', symbolDoc] : [])].join('\n');
}

function renderEnum(name: string, decl: ts.EnumDeclaration): string {
  return [`#### ${name}`, '', '```ts', oneLine(decl), '```'].join('\n');
}

function renderConstant(checker: ts.TypeChecker, name: string, symbol: ts.Symbol, decl: ts.VariableDeclaration): string {
  const type = decl.type ? oneLine(decl.type) : checker.typeToString(checker.getTypeOfSymbolAtLocation(symbol, decl), undefined, FLAGS);
  // Long literal types (a whole JSON schema) say little: name the constant and its doc.
  const shown = type.length > 200 ? 'object' : type;
  const doc = docOf(checker, symbol);
  return [`#### ${name}`, '', '```ts', `const ${name}: ${shown}`, '```', ...(doc ? ['', doc] : [])].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const program = packageProgram(join(REPO_ROOT, 'build', 'esm'));
  writeFileSync(API_REFERENCE_FILE, renderApiReference(program));
  process.stdout.write(`docs: wrote ${API_REFERENCE_FILE}\n`);
}
