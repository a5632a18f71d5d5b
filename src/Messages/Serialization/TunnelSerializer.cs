using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Akka.Actor;
using System.Runtime.Serialization;
using Akka.Serialization;
using Tunnel.Messages.Admin;
using Tunnel.Messages.Queue;

namespace Tunnel.Messages.Serialization;

/// <summary>
/// The one serializer for everything that crosses nodes or reaches the journal. Each type has
/// a short manifest fixed in <see cref="Manifests"/>; the payload is UTF-8 JSON. Manifests are
/// forever: never reuse or rename one, add a new one for a new shape
/// (tests/Fixtures holds events written by earlier versions that must still load).
/// </summary>
public sealed class TunnelSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Akka serializer id; ids up to 100 are reserved by Akka itself.</summary>
    public const int Id = 4711;

    /// <summary>Manifests of types that are gone (commands between ingress and a queue before the outbox, never on disk): never to be reused.</summary>
    public static readonly IReadOnlyList<string> Retired = ["q.enqueue", "q.enqueue-accepted", "q.cancel", "q.body-stored"];

    public static readonly IReadOnlyList<(Type Type, string Manifest)> Manifests =
    [
        (typeof(NewMail), "q.new-mail"),
        (typeof(MessageEnqueued), "q.e.enqueued"),
        (typeof(DeliveryAttempted), "q.e.attempted"),
        (typeof(MessageCancelled), "q.e.cancelled"),
        (typeof(MessageRemoved), "q.e.removed"),
        (typeof(DomainQueueSnapshot), "q.s.domain"),
        (typeof(DelayNotified), "q.e.delay-notified"),
        (typeof(MessageDeleted), "q.e.deleted"),
        (typeof(InspectQueue), "a.inspect"),
        (typeof(QueueInspected), "a.inspected"),
        (typeof(RetryNow), "a.retry"),
        (typeof(RetryScheduled), "a.retry-scheduled"),
        (typeof(DeleteMessage), "a.delete"),
        (typeof(DeleteAccepted), "a.delete-accepted"),
        (typeof(RetryRequested), "q.e.retry"),
        (typeof(MessageDropped), "q.e.dropped"),
        (typeof(NoticesSent), "q.e.notices-sent"),
        (typeof(AdoptDestinationState), "q.adopt-destination"),
    ];

    private static readonly Dictionary<Type, string> ManifestByType = Manifests.ToDictionary(m => m.Type, m => m.Manifest);
    private static readonly Dictionary<string, JsonTypeInfo> InfoByManifest =
        Manifests.ToDictionary(m => m.Manifest, m => TunnelJsonContext.Default.GetTypeInfo(m.Type)
            ?? throw new InvalidOperationException($"no JSON contract for {m.Type}"));

    public override int Identifier => Id;

    public override string Manifest(object o) =>
        ManifestByType.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new ArgumentException($"{o.GetType()} has no manifest in {nameof(TunnelSerializer)}");

    public override byte[] ToBinary(object obj) => Serialize(obj);

    public override object FromBinary(byte[] bytes, string manifest) => Deserialize(bytes, manifest);

    /// <summary>The payload of <paramref name="obj"/>, also where it is stored outside Akka (the spool's reference rows).</summary>
    public static byte[] Serialize(object obj) =>
        ManifestByType.TryGetValue(obj.GetType(), out var manifest)
            ? JsonSerializer.SerializeToUtf8Bytes(obj, InfoByManifest[manifest])
            : throw new ArgumentException($"{obj.GetType()} has no manifest in {nameof(TunnelSerializer)}");

    public static object Deserialize(ReadOnlySpan<byte> bytes, string manifest) =>
        InfoByManifest.TryGetValue(manifest, out var info)
            ? JsonSerializer.Deserialize(bytes, info) ?? throw new SerializationException($"null payload for {manifest}")
            : throw new SerializationException($"unknown manifest '{manifest}': written by a newer version of Tunnel?");

    public static T Deserialize<T>(ReadOnlySpan<byte> bytes) => (T)Deserialize(bytes, ManifestByType[typeof(T)]);
}
