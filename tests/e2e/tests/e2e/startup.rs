//! A kiosk that cannot start says why: a bad config or a missing bundle
//! stops it with a message naming the key or the file.

#[test]
fn a_bad_config_stops_the_start_and_names_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("kiosk.toml");
    std::fs::write(
        &config,
        "bundle = \"x.kbundle\"\ndata_dir = \"data\"\nkiosk_id = \"lobby\"\nwindow = \"maximised\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(kiosk_e2e::app_binary()).arg("--config").arg(&config).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a bad config must stop the kiosk before any window opens");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("kiosk.toml:4") && err.contains("maximised"), "the message names file, line and value: {err}");
}

#[test]
fn a_missing_bundle_stops_the_start_and_says_which() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("kiosk.toml");
    std::fs::write(&config, "bundle = \"nowhere.kbundle\"\ndata_dir = \"data\"\nkiosk_id = \"lobby\"\n").unwrap();
    let out =
        std::process::Command::new(kiosk_e2e::app_binary()).env("EMBASSY_KIOSK_CONFIG", &config).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nowhere.kbundle") && err.contains("`bundle`"), "names the file and the key: {err}");
}
