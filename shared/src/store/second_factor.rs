//! The account's second factor on its item in the users table: the sealed
//! authenticator secret (`totp`), the last step whose code was accepted
//! (`totp_step`), and the recovery codes' keyed hashes (`recovery`, a
//! string set). Every use is one conditional write: a code's step is used
//! up only if it is later than the last one accepted, a recovery code only
//! if the set still holds it; of two requests with one code, one wins.

use aws_sdk_dynamodb::types::AttributeValue;

use super::item::{n, s};
use super::tx::{Cond, Tx};
use super::users::{pk, unchanged, user_pk};
use super::{Result, User};

/// The second factor a request showed, and what using it up takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Proof {
    /// A code of this 30-second step.
    Code(i64),
    /// A recovery code, by the hashes it may be stored under (current data
    /// key, then a retired one).
    Recovery(Vec<String>),
}

impl Proof {
    /// The condition that the proof is still good, the update that uses it
    /// up, and their values.
    fn parts(&self) -> (String, &'static str, Vec<(&'static str, AttributeValue)>) {
        match self {
            Proof::Code(step) => (
                "totp_step < :step".into(),
                "SET totp_step = :step",
                vec![(":step", n(*step))],
            ),
            Proof::Recovery(hashes) => {
                const NAMES: [&str; 2] = [":h0", ":h1"];
                let mut values: Vec<(&'static str, AttributeValue)> = hashes
                    .iter()
                    .zip(NAMES)
                    .map(|(h, name)| (name, s(h)))
                    .collect();
                let tests: Vec<String> = values
                    .iter()
                    .map(|(name, _)| format!("contains(recovery, {name})"))
                    .collect();
                values.push((":used", AttributeValue::Ss(hashes.clone())));
                (
                    format!("({})", tests.join(" OR ")),
                    "DELETE recovery :used",
                    values,
                )
            }
        }
    }
}

impl Tx<'_> {
    /// Turns two-factor sign-in on: the sealed secret, the step its first
    /// code used, the recovery codes' hashes, and the generation moved on
    /// (a password-only sign-in racing this fails its generation check;
    /// device cookies issued before end); only while it is off and
    /// nothing changed the account since its password was confirmed (a
    /// password change or reset moves the generation: the conditions here
    /// test it, never the hash, so that the two-factor functions' grants
    /// need not name `password_hash`).
    pub(crate) fn enable_two_factor(
        self,
        user: &User,
        sealed: &str,
        step: i64,
        recovery: &[String],
    ) -> Result<Self> {
        let users = self.store.users.clone();
        let mut cond = unchanged(user);
        cond.expr = "generation = :gen AND attribute_not_exists(totp)";
        cond.values.extend([
            (":t", s(sealed)),
            (":step", n(step)),
            (":r", AttributeValue::Ss(recovery.to_vec())),
            (":one", n(1)),
        ]);
        let expr = "SET totp = :t, totp_step = :step, recovery = :r ADD generation :one";
        self.update(&users, pk(user_pk(&user.key)), expr, cond, &[])
    }

    /// A sign-in's second step: `proof` used up, only while it is good and
    /// nothing changed the account since its password was checked.
    pub(crate) fn use_second_factor(self, user: &User, proof: &Proof) -> Result<Self> {
        let users = self.store.users.clone();
        let (test, used, values) = proof.parts();
        let mut cond = unchanged(user);
        let full = format!("{} AND {test}", cond.expr);
        cond.values.extend(values);
        let cond = Cond {
            expr: &full,
            values: cond.values,
        };
        // The first sign-in also retires the registration form's id.
        let expr = format!("{used} REMOVE registration_id");
        self.update(&users, pk(user_pk(&user.key)), &expr, cond, &[])
    }

    /// A new set of recovery codes replaces the old, on the password just
    /// confirmed (nothing changed since) and a code of this `step` (used
    /// up).
    pub(crate) fn new_recovery_codes(
        self,
        user: &User,
        step: i64,
        recovery: &[String],
    ) -> Result<Self> {
        let users = self.store.users.clone();
        let mut cond = unchanged(user);
        cond.expr = "generation = :gen AND attribute_exists(totp) AND totp_step < :step";
        cond.values.extend([
            (":step", n(step)),
            (":r", AttributeValue::Ss(recovery.to_vec())),
        ]);
        let expr = "SET totp_step = :step, recovery = :r";
        self.update(&users, pk(user_pk(&user.key)), expr, cond, &[])
    }

    /// Turns two-factor sign-in off: the secret and the codes go and the
    /// generation moves on (trusted browsers and device cookies end); on
    /// the password just confirmed and a code or a recovery code that is
    /// still good.
    pub(crate) fn disable_two_factor(self, user: &User, proof: &Proof) -> Result<Self> {
        let users = self.store.users.clone();
        let (test, _, mut values) = proof.parts();
        // The set goes whole: the one used needs no `DELETE`.
        values.retain(|(name, _)| *name != ":used");
        let full = format!("generation = :gen AND attribute_exists(totp) AND {test}");
        values.extend(unchanged(user).values);
        values.push((":one", n(1)));
        let expr = "ADD generation :one REMOVE totp, totp_step, recovery";
        let cond = Cond {
            expr: &full,
            values,
        };
        self.update(&users, pk(user_pk(&user.key)), expr, cond, &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_used_up_by_moving_the_step_a_recovery_code_by_leaving_the_set() {
        let (test, expr, values) = Proof::Code(7).parts();
        assert_eq!(test, "totp_step < :step");
        assert_eq!(expr, "SET totp_step = :step");
        assert_eq!(values.len(), 1);
        let hashes = vec!["a".to_string(), "b".to_string()];
        let (test, expr, values) = Proof::Recovery(hashes).parts();
        assert_eq!(test, "(contains(recovery, :h0) OR contains(recovery, :h1))");
        assert_eq!(expr, "DELETE recovery :used");
        assert_eq!(values.len(), 3);
        let (test, _, _) = Proof::Recovery(vec!["a".into()]).parts();
        assert_eq!(test, "(contains(recovery, :h0))");
    }
}
