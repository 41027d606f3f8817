// The database schema as a list of forward-only migrations keyed by PRAGMA user_version.
// To change the schema, append a migration; never edit one that has shipped.
#pragma once

namespace wb::storage {

class Connection;

/// The user_version this build writes: the number of migrations it knows.
int schema_version();

/// Refuses (StorageError) a database written by a newer build, or a SQLite file of another
/// program, before anything is written to it.
void check_schema_version(Connection& db);

/// True when the file needs no migration (what a read-only connection can use as it is).
bool schema_is_current(Connection& db);

/// Applies the missing migrations in one transaction; safe when several processes open at once.
void migrate(Connection& db);

}  // namespace wb::storage
