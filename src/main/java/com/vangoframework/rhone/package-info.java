/**
 * The composition root: {@code RhoneApplication} wires every package together once, in the order
 * they start, and {@code RhoneConfiguration} gathers each feature's configuration. It is the only
 * package that names them all, and no package names it back (held by {@code PackageDirectionsTest}).
 */
package com.vangoframework.rhone;
