//! What a test that runs the bot in webhook mode (or any server the test must name
//! before it starts) needs: the secret Telegram is told to send, a free loopback port.

/// The webhook secret the tests give the bot (`TELEGRAM_WEBHOOK_SECRET`).
pub const SECRET: &str = "Webhook-Secret_0123456789abcdef";

/// A free loopback port (bound then released: the URL given to Telegram must name it
/// before the bot binds it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
