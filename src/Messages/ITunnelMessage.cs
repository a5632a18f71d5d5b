namespace Tunnel.Messages;

/// <summary>
/// Marks every type that crosses nodes or reaches disk. All of them are serialized by
/// <see cref="Serialization.TunnelSerializer"/> under a short, stable manifest, never under a
/// CLR type name, so that renaming a class never breaks a journal or a rolling upgrade.
/// </summary>
public interface ITunnelMessage;
