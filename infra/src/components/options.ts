import type * as pulumi from '@pulumi/pulumi';

/**
 * Options for a component's children: parented to it and waiting on what the component was
 * told to wait on (the engine does not pass a component's `dependsOn` down to its children),
 * plus `extra`.
 */
export function childOptions(
  parent: pulumi.Resource,
  opts: pulumi.ComponentResourceOptions | undefined,
  ...extra: pulumi.Resource[]
): pulumi.CustomResourceOptions {
  const inherited = opts?.dependsOn;
  const deps: pulumi.Input<pulumi.Resource>[] = [];
  if (Array.isArray(inherited)) deps.push(...(inherited as pulumi.Input<pulumi.Resource>[]));
  else if (inherited !== undefined) deps.push(inherited as pulumi.Input<pulumi.Resource>);
  deps.push(...extra);
  return deps.length > 0 ? { parent, dependsOn: deps } : { parent };
}
