//! The studio's server, driven through its router (no sockets): each test
//! works on a copy of the demo content in a temporary folder.

mod studio {
    mod alternatives;
    mod content;
    pub mod fixture;
    mod guard;
    mod preview;
    mod publish;
}
