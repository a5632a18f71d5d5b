using System.Runtime.InteropServices;

namespace Tunnel.NetnsTools;

/// <summary>SIGTERM (how the demo stops its servers) or Ctrl-C.</summary>
public static class Shutdown
{
    private static readonly TaskCompletionSource Stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static readonly PosixSignalRegistration[] Registrations =
    [
        PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop),
        PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop),
    ];

    public static Task Signalled() => Registrations.Length > 0 ? Stopped.Task : Task.CompletedTask;

    private static void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        Stopped.TrySetResult();
    }
}
