using Microsoft.Extensions.DependencyInjection;

namespace DraSdk.KubeletPlugin;

/// <summary>Configures a DRA driver added with <c>AddDraDriver</c>; other SDK packages add extension methods here.</summary>
public interface IDraDriverBuilder
{
    /// <summary>The host's services.</summary>
    IServiceCollection Services { get; }
}
