namespace Tunnel.Tests.Unit.Deploy;

/// <summary>Files of the repository itself (deploy/ recipes, zones), found above the test output.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace('\\', '/');

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Tunnel.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("Tunnel.sln not found above the test output");
    }
}
