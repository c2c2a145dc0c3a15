namespace DraSdk.Testing;

/// <summary>One request the <see cref="InMemoryKubernetesApiServer"/> received, for assertions.</summary>
/// <param name="Method">The HTTP method, for example <c>PATCH</c>.</param>
/// <param name="Path">The URL path, for example <c>/apis/resource.k8s.io/v1/resourceslices/node-a-gpu</c>.</param>
/// <param name="Query">The query string with its leading <c>?</c>, or empty.</param>
/// <param name="Verb">
/// The Kubernetes verb: <c>get</c>, <c>list</c>, <c>watch</c>, <c>create</c>, <c>update</c>, <c>patch</c>,
/// <c>delete</c> or <c>deletecollection</c>; <c>get</c> for discovery.
/// </param>
/// <param name="Resource">The resource plural, with <c>/status</c> for the status subresource; null for discovery.</param>
/// <param name="Namespace">The namespace from the URL, or null.</param>
/// <param name="Name">The object name from the URL, or null.</param>
public sealed record ApiRequest(string Method, string Path, string Query, string Verb, string? Resource, string? Namespace, string? Name);
