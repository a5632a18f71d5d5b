namespace Tunnel.Bench;

/// <summary>
/// One of issue 12's targets beside what a run measured. <see cref="Met"/> is null when the run
/// could not measure it (printed "n/a"). Targets are reported, not enforced: a scenario exits
/// non-zero only when mail was lost or the run itself broke.
/// </summary>
public sealed record TargetCheck(string Name, string Wanted, string Measured, bool? Met)
{
    public string Verdict => Met switch { true => "PASS", false => "FAIL", null => "n/a" };

    public override string ToString() => $"  {Verdict,-4}  {Name}: {Measured} (target {Wanted})";
}
