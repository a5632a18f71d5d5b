using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tunnel.Node.Admin;

// The admin endpoint's JSON contract: what `tunnel … --json` prints and scripts read. Names are
// camelCase, times ISO 8601 UTC, ages and delays in seconds, statuses the mail log's words
// (pending, sent, deferred, bounced). Adding a field is compatible; renaming one is not.

/// <summary>Any failed request: what went wrong, for a person.</summary>
public sealed record ApiError(string Error);

/// <summary>Health: "live" or "ready", or why not.</summary>
public sealed record HealthView(string Status, IReadOnlyList<string> Problems);

/// <summary><c>tunnel cluster show</c>.</summary>
public sealed record ClusterView(string Self, string? Leader, IReadOnlyList<MemberView> Members);

public sealed record MemberView(string Address, string Status, IReadOnlyList<string> Roles, bool Reachable, bool Leader, bool Self);

/// <summary>A cluster address to leave or down: "host:port" or the full "akka.tcp://tunnel@host:port".</summary>
public sealed record AddressRequest(string Address);

/// <summary>The outcome of leave or down.</summary>
public sealed record MemberCommandResult(string Address, string Action);

/// <summary>One line of <c>tunnel cluster tail</c>.</summary>
public sealed record ClusterEventView(DateTimeOffset At, string Event, string Address, string? Status);

/// <summary><c>tunnel shards</c>: the domain-queue region of each node, the shards it hosts and the domains (entities) in each.</summary>
/// <param name="Unanswered">Members whose region did not answer in time.</param>
public sealed record ShardsView(IReadOnlyList<RegionView> Nodes, IReadOnlyList<string> Unanswered);

public sealed record RegionView(string Node, IReadOnlyList<ShardView> Shards);

public sealed record ShardView(string Id, IReadOnlyList<string> Domains);

/// <summary><c>tunnel queue list</c>: like mailq, oldest first.</summary>
/// <param name="Total">Messages that matched before --limit cut the list.</param>
public sealed record QueueListing(IReadOnlyList<QueueEntry> Messages, int Total, IReadOnlyList<string> Unanswered);

/// <summary>One message in one domain's queue.</summary>
/// <param name="NextAttemptAt">Null when none is planned (the message is leaving the queue).</param>
/// <param name="LastError">The latest reply or reason of a recipient still waiting or failed.</param>
/// <param name="Queue">The queue that holds it: the domain, or <c>domain#i</c> for a sub-queue of a split domain.</param>
public sealed record QueueEntry(
    string Id,
    string Domain,
    string Node,
    DateTimeOffset ReceivedAt,
    double AgeSeconds,
    long Size,
    string Sender,
    IReadOnlyList<RecipientView> Recipients,
    int Attempts,
    DateTimeOffset? NextAttemptAt,
    string? LastError,
    string Queue);

/// <summary>A recipient and its latest outcome.</summary>
/// <param name="Status">pending, sent, deferred or bounced.</param>
/// <param name="Relay">"host[address]:port" that answered, if one did.</param>
/// <param name="Family">ipv4, ipv6, or none.</param>
public sealed record RecipientView(
    string Address,
    string Status,
    string Dsn,
    string Detail,
    string? Relay,
    string Family,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Notify = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? OriginalRecipient = null);

/// <summary><c>tunnel queue show</c>: the envelope, and each destination domain's part of the message.</summary>
/// <param name="Body">MAIL's BODY= as given: "7BIT", "8BITMIME", or "" for none.</param>
/// <param name="Return">MAIL's RET= as given: "FULL", "HDRS", or "" for none.</param>
public sealed record MessageView(
    string Id,
    string Sender,
    string Body,
    bool SmtpUtf8,
    string? EnvelopeId,
    string Return,
    long Size,
    DateTimeOffset ReceivedAt,
    IReadOnlyList<MessagePartView> Domains);

/// <summary>The recipients of one domain, where its queue runs, and every attempt kept.</summary>
public sealed record MessagePartView(
    string Domain,
    string Node,
    IReadOnlyList<RecipientView> Recipients,
    int Attempts,
    DateTimeOffset? NextAttemptAt,
    IReadOnlyList<AttemptView> History);

public sealed record AttemptView(DateTimeOffset At, IReadOnlyList<RecipientView> Outcomes);

/// <summary><c>tunnel queue stats</c>.</summary>
public sealed record QueueStats(IReadOnlyList<DomainStats> Domains, IReadOnlyList<string> Unanswered);

/// <summary>
/// One destination (or, when asked for, one sub-queue of a split destination): messages by their
/// state, the oldest one's age, and whether it is down.
/// </summary>
/// <param name="Domain">The domain; with sub-queues asked for, the queue (<c>domain#i</c>).</param>
/// <param name="Node">Where its queue runs; for a split domain, every node one of its sub-queues runs on.</param>
/// <param name="Pending">Messages not attempted yet.</param>
/// <param name="Deferred">Messages attempted, still waiting for a retry.</param>
/// <param name="DownUntil">The earliest next probe of a queue that found the destination down.</param>
/// <param name="Queues">How many queues with mail the line sums up (1 unless the domain is split).</param>
public sealed record DomainStats(string Domain, string Node, int Messages, int Pending, int Deferred, int Recipients,
    double OldestAgeSeconds, DateTimeOffset? DownUntil, int Queues = 1);

/// <summary><c>tunnel queue retry</c>: one message, a domain, or everything.</summary>
public sealed record RetryRequest(string? Id, string? Domain, bool All);

public sealed record RetryResult(int Messages, IReadOnlyList<string> Domains, IReadOnlyList<string> Unanswered);

/// <summary><c>tunnel queue delete</c>.</summary>
public sealed record DeleteRequest(string Id, bool Bounce);

/// <param name="Domains">The queues that held the message and removed it.</param>
public sealed record DeleteResult(string Id, IReadOnlyList<string> Domains, bool Bounce, IReadOnlyList<string> Unanswered);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(HealthView))]
[JsonSerializable(typeof(ClusterView))]
[JsonSerializable(typeof(AddressRequest))]
[JsonSerializable(typeof(MemberCommandResult))]
[JsonSerializable(typeof(ClusterEventView))]
[JsonSerializable(typeof(ShardsView))]
[JsonSerializable(typeof(QueueListing))]
[JsonSerializable(typeof(MessageView))]
[JsonSerializable(typeof(QueueStats))]
[JsonSerializable(typeof(RetryRequest))]
[JsonSerializable(typeof(RetryResult))]
[JsonSerializable(typeof(DeleteRequest))]
[JsonSerializable(typeof(DeleteResult))]
public sealed partial class AdminJson : JsonSerializerContext;
