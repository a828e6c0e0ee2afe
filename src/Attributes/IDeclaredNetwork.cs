namespace Dsl
{
    /// <summary>
    /// Implemented by every generated network, so libraries (the runtime's exporters, a user's tools) can read the
    /// compile-time description of any network instance without reflection.
    /// </summary>
    public interface IDeclaredNetwork
    {
        /// <summary>The network's compile-time facts and graph (the same object as the class's static <c>Info</c>).</summary>
        NetworkInfo Info { get; }
    }
}
